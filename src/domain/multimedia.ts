import { randomUUID } from 'node:crypto';
import { applyCallEvent, applyMuteEvent, canApplyCallEvent, isLive, nextTurn, type CallLeg, type CallLegEvent } from './call-leg.ts';
import type { InteractionMedia } from './contact-center-types.ts';
import { DomainError, unavailable } from './errors.ts';
import type { DomainEvents } from './events.ts';
import type { Clock, Directory, Telephony, VideoParticipant, VideoRoomDump, VideoRooms, VideoSignal } from './ports.ts';
import { holdToggle, muteToggle, type AgentAction, type CustomerAction, type MediaCapabilities } from './guards.ts';
import { isVideoOpen, applyVideoEvent, type VideoEvent, type VideoSession } from './video-session.ts';
import { liveLeg, type InteractionRecord, type Party } from './interaction.ts';
import type { Interactions } from './interactions.ts';
import { CONSULT_CALL_STATES, type ConsultCall, type ConsultCallEvents } from './handoff.ts';
import { nextState } from './state-table.ts';
import { VideoPages } from './video-pages.ts';

export interface MultimediaDeps {
  interactions: Interactions;
  // Whether a service dials the customer when the agent accepts.
  directory: Pick<Directory, 'getService'>;
  telephony: Telephony | null;
  video: VideoRooms | null;
  clock: Clock;
  // Where telephony_changed goes (pages redraw their call controls).
  events?: DomainEvents;
  // Heard after every change of a call leg is written (call recordings); never rejects.
  onCallChanged?: (rec: InteractionRecord, leg: CallLeg) => Promise<void>;
}

// The voice and video components of a chat interaction. What may happen when is decided by the guard
// table (guards.ts); this carries it out through the telephony and the video rooms, and writes each
// change of a call leg or a video session on the interaction's timeline. ContactCenter hears it
// through InteractionMedia (auto-dial after Accept, media released before the interaction ends).
export class MultimediaDesk implements InteractionMedia {
  readonly #interactions: Interactions;
  readonly #directory: Pick<Directory, 'getService'>;
  readonly #telephony: Telephony | null;
  readonly #video: VideoRooms | null;
  readonly #clock: Clock;
  readonly #events: DomainEvents | undefined;
  readonly #onCallChanged: MultimediaDeps['onCallChanged'];
  readonly #pages = new VideoPages();
  readonly capabilities: MediaCapabilities;

  constructor(deps: MultimediaDeps) {
    this.#interactions = deps.interactions;
    this.#directory = deps.directory;
    this.#telephony = deps.telephony;
    this.#video = deps.video;
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#onCallChanged = deps.onCallChanged;
    this.capabilities = { callingConfigured: deps.telephony !== null, videoConfigured: deps.video !== null, telephonyAway: false };
  }

  // The telephony says whether calls can be made now. While it is away the guard table refuses calls
  // with telephonyUnavailable(); each change is announced once.
  telephonyChanged(available: boolean): void {
    if (!this.capabilities.callingConfigured || this.capabilities.telephonyAway === !available) return;
    this.capabilities.telephonyAway = !available;
    this.#events?.emit({ type: 'telephony_changed', available });
  }

  // ---- voice ----------------------------------------------------------------------------------

  async callCustomer(agentId: string, interactionId: string): Promise<CallLeg> {
    const rec = this.agentMay('call', agentId, interactionId);
    const leg: CallLeg = {
      id: randomUUID(),
      interactionId: rec.id,
      serviceId: rec.serviceId,
      agentId,
      customerNumber: rec.customer.phone,
      state: 'dialing_agent',
      mute: 'unmuted',
      startedAt: this.#clock.now(),
      answeredAt: null,
      endedAt: null,
      cause: null,
    };
    rec.callLegs.push(leg);
    // The call is placed while its leg is written, so the store's write is not on the ringing path. A
    // crash in between leaves at most a tagged channel, which the telephony hangs up when it is back.
    const placing = this.telephony()
      .placeCall({ legId: leg.id, interactionId: rec.id, serviceId: rec.serviceId, agentId, customerNumber: leg.customerNumber })
      .then(() => null, (err: unknown) => err as Error);
    await this.recordCall(rec, leg);
    const failed = await placing;
    if (failed && isLive(leg)) {
      applyCallEvent(leg, 'fail', this.#clock.now(), failed.message);
      await this.recordCall(rec, leg);
    }
    return leg;
  }

  async releaseCall(agentId: string, interactionId: string): Promise<CallLeg> {
    return this.release(this.agentMay('release_call', agentId, interactionId));
  }

  // The desktop's Hold button: holds the live call, or takes it off hold.
  async toggleHold(agentId: string, interactionId: string): Promise<CallLeg> {
    return this.toggle(agentId, interactionId, holdToggle, (leg, event) => applyCallEvent(leg, event, this.#clock.now()));
  }

  // The desktop's Mute button: mutes the agent on the live call, or unmutes.
  async toggleMute(agentId: string, interactionId: string): Promise<CallLeg> {
    return this.toggle(agentId, interactionId, muteToggle, applyMuteEvent);
  }

  // Progress reported by the telephony adapter. Events that no longer apply (a late hangup after a
  // release) are ignored: the leg's state table decides.
  async onCallEvent(interactionId: string, legId: string, event: CallLegEvent, cause?: string): Promise<void> {
    const rec = await this.#interactions.find(interactionId);
    const leg = rec?.callLegs.find((l) => l.id === legId);
    if (!rec || !leg || !canApplyCallEvent(leg, event)) return;
    applyCallEvent(leg, event, this.#clock.now(), cause);
    await this.recordCall(rec, leg);
  }

  // A transfer accepted with a call up: the customer's leg goes to the new agent's phone (music on
  // hold while it rings) and the previous agent's phone is released. The new agent starts unmuted and
  // off hold. A phone that does not answer leaves the call (and the chat) with the previous agent.
  async moveCall(rec: InteractionRecord, agentId: string): Promise<void> {
    const leg = liveLeg(rec);
    if (!leg) return;
    const turn = nextTurn(leg);
    await this.telephony().moveToAgent(leg.id, agentId, turn);
    if (isLive(leg)) await this.handLegTo(rec, leg, agentId, turn);
  }

  // The transfer's new phone stops ringing (moveCall() then rejects); too late once it answered.
  stopMove(rec: InteractionRecord): void {
    const leg = liveLeg(rec);
    if (leg) this.#telephony?.endTransferRing(leg.id);
  }

  // ---- consult (consult-desk.ts): the first agent's call rings another agent's phone ----------

  // The customer is on hold (music) from now until the consult ends. Both are written before the
  // phone rings: its answer may come before the telephony returns.
  async startConsult(rec: InteractionRecord, target: { agentId: string; name: string }, events: ConsultCallEvents): Promise<void> {
    const leg = liveLeg(rec)!;
    const { agentId } = target;
    const consult: ConsultCall = { agentId, agentName: target.name, turn: nextTurn(leg), state: 'ringing' };
    const held = leg.state === 'connected';
    leg.consult = consult;
    if (held) applyCallEvent(leg, 'hold', this.#clock.now());
    try {
      await this.telephony().startConsult(leg.id, agentId, consult.turn, events);
    } catch (err) {
      leg.consult = null;
      if (held && leg.state === 'on_hold') applyCallEvent(leg, 'unhold', this.#clock.now());
      throw err;
    }
    await this.recordCall(rec, leg);
  }

  async consultAnswered(rec: InteractionRecord): Promise<void> {
    const leg = liveLeg(rec);
    if (!leg?.consult) return;
    leg.consult.state = nextState(CONSULT_CALL_STATES, 'consult', leg.consult.state, 'answer');
    await this.recordCall(rec, leg);
  }

  // False only when the telephony knows the agent has no phone to ring.
  async canRing(agentId: string): Promise<boolean> {
    return (await this.#telephony?.hasPhone(agentId)) ?? false;
  }

  // Complete transfer: the consulted agent's phone keeps the call, the customer off hold with it.
  async completeConsult(rec: InteractionRecord): Promise<void> {
    const leg = liveLeg(rec);
    const consult = leg?.consult;
    if (!leg || !consult) throw new Error('the call or the consult ended meanwhile');
    await this.telephony().completeConsult(leg.id);
    if (!isLive(leg)) return;
    leg.consult = null;
    await this.handLegTo(rec, leg, consult.agentId, consult.turn);
  }

  // The consult ends without a handover: the customer is back with the first agent, off hold.
  // `hangUp`: the target's phone is still up (Cancel transfer); not when it went away by itself, or
  // when a restart left the channels to reconciliation. The leg changes before anything is awaited.
  async endConsult(rec: InteractionRecord, opts: { hangUp: boolean }): Promise<void> {
    const leg = liveLeg(rec);
    if (!leg?.consult) return;
    if (opts.hangUp) await this.telephony().endConsult(leg.id);
    leg.consult = null;
    if (leg.state === 'on_hold') applyCallEvent(leg, 'unhold', this.#clock.now());
    await this.recordCall(rec, leg);
  }

  // The call is the new agent's now, off hold and unmuted.
  private async handLegTo(rec: InteractionRecord, leg: CallLeg, agentId: string, turn: number): Promise<void> {
    if (leg.state === 'on_hold') applyCallEvent(leg, 'unhold', this.#clock.now());
    Object.assign(leg, { agentId, agentTurn: turn, mute: 'unmuted' });
    await this.recordCall(rec, leg);
  }

  // ---- video ----------------------------------------------------------------------------------

  // The customer asks; asking again while a request or a session is open changes nothing (`created`
  // says which it was).
  async requestVideo(interactionId: string): Promise<{ video: VideoSession; created: boolean }> {
    const rec = this.customerMay('request_video', interactionId);
    if (rec.video && isVideoOpen(rec.video)) return { video: rec.video, created: false };
    this.#interactions.checkRoomInChat(rec);
    rec.video = { id: randomUUID(), interactionId: rec.id, state: 'requested', requestedAt: this.#clock.now(), startedAt: null, endedAt: null, endedBy: null };
    await this.recordVideo(rec, 'customer');
    return { video: rec.video, created: true };
  }

  async allowVideo(agentId: string, interactionId: string): Promise<VideoSession> {
    const rec = this.agentMay('allow_video', agentId, interactionId);
    const video = rec.video!;
    await this.#video!.open(video.id);
    try {
      // Asked again once the room is open: a transfer offered meanwhile must not see a video start
      // under it (a video is never handed over).
      this.agentMay('allow_video', agentId, interactionId);
      applyVideoEvent(video, 'allow', this.#clock.now());
    } catch (err) {
      // The customer closed the request while the room opened, or a transfer began: no room is left for
      // nobody. (A second Allow that lost the race to the first leaves the room the first one opened.)
      if (video.state !== 'active') await this.#video!.close(video.id);
      throw err;
    }
    await this.recordVideo(rec, 'agent');
    return video;
  }

  async declineVideo(agentId: string, interactionId: string): Promise<VideoSession> {
    const rec = this.agentMay('decline_video', agentId, interactionId);
    const video = rec.video!;
    applyVideoEvent(video, 'decline', this.#clock.now());
    await this.recordVideo(rec, 'agent');
    return video;
  }

  // Only the customer closes video alone; chat and call stay up.
  async customerCloseVideo(interactionId: string): Promise<VideoSession> {
    const rec = this.customerMay('close_video', interactionId);
    const video = rec.video!;
    await this.closeVideo(rec, video, 'customer_close');
    return video;
  }

  // The media server lost the room (its worker died): the video ends like a close, chat and call stay.
  async onVideoLost(sessionId: string): Promise<void> {
    const rec = this.#interactions.all().find((r) => r.video?.id === sessionId);
    if (!rec?.video || rec.video.state !== 'active') return;
    await this.closeVideo(rec, rec.video, 'media_lost');
  }

  // The media server could not start where the rules run: video requests are refused, with the reason.
  videoUnavailable(): void {
    this.capabilities.videoConfigured = false;
  }

  // After a restart or a failover: the media server's rooms did not outlive the process that held them,
  // so a video that was running has ended like lost media (either side may ask again; chat and call
  // stay). One asked for and not yet allowed has no room yet, and waits for Allow as before.
  async recoverVideo(): Promise<void> {
    for (const rec of this.#interactions.all()) if (rec.video?.state === 'active') await this.closeVideo(rec, rec.video, 'media_lost');
  }

  // Signaling is allowed only to the two participants of a running video session. The answers to
  // `capabilities` and `consume` say whether the video carries audio: not while a call carries the voice.
  async videoSignal(interactionId: string, participant: VideoParticipant, agentId: string | undefined, request: VideoSignal): Promise<unknown> {
    const rec = participant === 'agent' ? this.agentMay('video_signal', agentId ?? '', interactionId) : this.customerMay('video_signal', interactionId);
    const answer = await this.#video!.signal(rec.video!.id, participant, request);
    if (request.op !== 'capabilities' && request.op !== 'consume') return answer;
    return { ...(answer as object), withAudio: !liveLeg(rec) };
  }

  // A customer's chat page (its socket, `pageId`) opened, on whichever node.
  customerJoined(interactionId: string, pageId: string): void {
    this.#pages.joined({ participant: 'customer', interactionId }, pageId);
  }

  // A closed tab or a dropped socket: once the customer's last page has gone (video-pages.ts), its
  // transports go; the video session stays. (Without a page: a node on older code; the agent's side.)
  participantLeft(interactionId: string, participant: VideoParticipant, pageId?: string): void {
    if (participant === 'customer' && !this.#pages.left({ participant, interactionId }, pageId)) return;
    const rec = this.#interactions.get(interactionId);
    if (rec?.video?.state === 'active') this.#video?.leave(rec.video.id, participant);
  }

  // An agent's desktop page opened, on whichever node.
  agentJoined(agentId: string, pageId: string): void {
    this.#pages.joined({ participant: 'agent', agentId }, pageId);
  }

  // Once the agent's last desktop has gone: their side of every running video goes.
  agentLeft(agentId: string, pageId?: string): void {
    if (!this.#pages.left({ participant: 'agent', agentId }, pageId)) return;
    for (const rec of this.#interactions.all()) if (rec.agentId === agentId) this.participantLeft(rec.id, 'agent');
  }

  // What the media server holds for this chat's running video (for the agent's diagnostics and leak checks).
  async videoDump(agentId: string, interactionId: string): Promise<VideoRoomDump> {
    const rec = this.agentMay('video_signal', agentId, interactionId);
    return this.#video!.dump(rec.video!.id);
  }

  // ---- InteractionMedia: what ContactCenter asks of the media ---------------------------------

  // The accept stands whatever becomes of the call: one the rules refuse now (the telephony away, a
  // call already up) is left to the agent's Call button, which says why.
  async afterAccept(rec: InteractionRecord): Promise<void> {
    if (!this.#telephony || !rec.agentId) return;
    const service = await this.#directory.getService(rec.serviceId);
    if (!service?.autoDial) return;
    await this.callCustomer(rec.agentId, rec.id).catch((err: unknown) => {
      if (!(err instanceof DomainError)) throw err;
    });
  }

  // The guard table refuses a plain Disconnect while a call or video runs, so for the agent this
  // finds media only on End session (or a video request nobody answered).
  async beforeEnd(rec: InteractionRecord, by: Party): Promise<void> {
    this.#pages.forgetChat(rec.id);
    const cause = by === 'customer' ? 'customer_close' : by === 'system' ? 'system_end' : 'end_session';
    // A video asked for, or a call placed, while the last one was being closed goes too: none outlives the chat.
    while ((rec.video && isVideoOpen(rec.video)) || liveLeg(rec)) {
      if (rec.video && isVideoOpen(rec.video)) await this.closeVideo(rec, rec.video, cause);
      if (liveLeg(rec)) await this.release(rec);
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  // Without telephony (turned off since the call was placed) there is nothing left to hang up.
  private async release(rec: InteractionRecord): Promise<CallLeg> {
    const leg = liveLeg(rec)!;
    await this.#telephony?.release(leg.id);
    if (isLive(leg)) applyCallEvent(leg, 'release', this.#clock.now());
    await this.recordCall(rec, leg);
    return leg;
  }

  private async closeVideo(rec: InteractionRecord, video: VideoSession, event: VideoEvent): Promise<void> {
    applyVideoEvent(video, event, this.#clock.now());
    await this.#video?.close(video.id);
    await this.recordVideo(rec, event === 'customer_close' ? 'customer' : event === 'end_session' ? 'agent' : 'system');
  }

  // The telephony acts first: a hold or mute it could not do leaves the leg as it was.
  private async toggle<E extends 'hold' | 'unhold' | 'mute' | 'unmute'>(
    agentId: string,
    interactionId: string,
    pick: (rec: InteractionRecord) => E,
    apply: (leg: CallLeg, event: E) => void,
  ): Promise<CallLeg> {
    const event = pick(this.#interactions.require(interactionId));
    const rec = this.agentMay(event, agentId, interactionId);
    const leg = liveLeg(rec)!;
    // Nothing changes when the telephony could not: the agent is told why and may try again.
    await this.telephony()[event](leg.id).catch((err: unknown) => {
      if (err instanceof DomainError) throw err;
      throw unavailable('call_control_failed', `Could not ${event} the call (${err instanceof Error ? err.message : String(err)}). Try again.`);
    });
    apply(leg, event);
    await this.recordCall(rec, leg);
    return leg;
  }

  private agentMay(action: AgentAction, agentId: string, interactionId: string): InteractionRecord {
    return this.#interactions.agentMay(action, agentId, interactionId, this.capabilities);
  }

  private customerMay(action: CustomerAction, interactionId: string): InteractionRecord {
    return this.#interactions.customerMay(action, interactionId, this.capabilities);
  }

  // Asked only once the guard table allowed a call action, which it does only with calling configured.
  private telephony(): Telephony {
    return this.#telephony!;
  }

  private async recordCall(rec: InteractionRecord, leg: CallLeg) {
    const entry = await this.#interactions.append(rec, { kind: 'call', author: 'system', agentId: leg.agentId, data: { ...leg } });
    await this.#onCallChanged?.(rec, leg);
    return entry;
  }

  private recordVideo(rec: InteractionRecord, author: Party) {
    return this.#interactions.append(rec, { kind: 'video', author, agentId: rec.agentId, data: { ...rec.video } });
  }
}
