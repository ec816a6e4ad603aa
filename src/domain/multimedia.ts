import { randomUUID } from 'node:crypto';
import { applyCallEvent, applyMuteEvent, canApplyCallEvent, isLive, type CallLeg, type CallLegEvent } from './call-leg.ts';
import type { ContactCenter } from './contact-center.ts';
import { conflict, forbidden, unavailable } from './errors.ts';
import type { InteractionRecord, Party } from './interaction.ts';
import type { Clock, Telephony, VideoParticipant, VideoRoomDump, VideoRooms, VideoSignal } from './ports.ts';
import { nextState } from './state-table.ts';
import { applyVideoEvent, isVideoOpen, VIDEO_STATES, type VideoEvent, type VideoSession } from './video-session.ts';

// The voice and video components of a chat interaction and the rules between them:
// calls belong to the chat's service; the agent releases the call before disconnecting the chat; once
// video runs only the customer closes it alone, and the agent can only end the whole session.
export class MultimediaDesk {
  readonly #center: ContactCenter;
  readonly #telephony: Telephony | null;
  readonly #video: VideoRooms | null;
  readonly #clock: Clock;

  constructor(opts: { center: ContactCenter; telephony: Telephony | null; video: VideoRooms | null; clock: Clock }) {
    this.#center = opts.center;
    this.#telephony = opts.telephony;
    this.#video = opts.video;
    this.#clock = opts.clock;
    opts.center.afterAccept.push((rec) => this.autoDial(rec));
    opts.center.beforeEnd.push((rec, by) => this.releaseMediaBeforeEnd(rec, by));
  }

  get callingConfigured(): boolean {
    return this.#telephony !== null;
  }

  // ---- voice ----------------------------------------------------------------------------------

  async callCustomer(agentId: string, interactionId: string): Promise<CallLeg> {
    const rec = this.agentsActive(agentId, interactionId);
    const telephony = this.requireTelephony();
    if (rec.callLegs.some(isLive)) throw conflict('call_in_progress', 'A call is already up in this chat.');
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
    const placing = telephony
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
    const rec = this.agentsActive(agentId, interactionId);
    if (rec.video?.state === 'active') {
      throw conflict('video_active', 'Video is running: only the customer can close it. Use End session to end everything.');
    }
    return this.release(rec);
  }

  async hold(agentId: string, interactionId: string, on: boolean): Promise<CallLeg> {
    const rec = this.agentsActive(agentId, interactionId);
    const leg = this.liveLeg(rec);
    applyCallEvent(leg, on ? 'hold' : 'unhold', this.#clock.now());
    await (on ? this.requireTelephony().hold(leg.id) : this.requireTelephony().unhold(leg.id));
    await this.recordCall(rec, leg);
    return leg;
  }

  async mute(agentId: string, interactionId: string, on: boolean): Promise<CallLeg> {
    const rec = this.agentsActive(agentId, interactionId);
    const leg = this.liveLeg(rec);
    if (leg.state !== 'connected' && leg.state !== 'on_hold') throw conflict('call_not_connected', 'The call is not connected yet.');
    applyMuteEvent(leg, on ? 'mute' : 'unmute');
    await (on ? this.requireTelephony().mute(leg.id) : this.requireTelephony().unmute(leg.id));
    await this.recordCall(rec, leg);
    return leg;
  }

  // Progress reported by the telephony adapter. Events that no longer apply (a late hangup after a
  // release) are ignored: the leg's state table decides.
  async onCallEvent(interactionId: string, legId: string, event: CallLegEvent, cause?: string): Promise<void> {
    const rec = this.#center.findOpenInteraction(interactionId) ?? (await this.#center.findInteraction(interactionId));
    const leg = rec?.callLegs.find((l) => l.id === legId);
    if (!rec || !leg || !canApplyCallEvent(leg, event)) return;
    applyCallEvent(leg, event, this.#clock.now(), cause);
    await this.recordCall(rec, leg);
  }

  // ---- video ----------------------------------------------------------------------------------

  // The customer asks; asking again while a request or a session is open changes nothing.
  async requestVideo(interactionId: string): Promise<VideoSession> {
    const rec = this.#center.openInteraction(interactionId);
    this.requireVideo();
    if (rec.video && isVideoOpen(rec.video)) return rec.video;
    rec.video = { id: randomUUID(), interactionId: rec.id, state: 'requested', requestedAt: this.#clock.now(), startedAt: null, endedAt: null, endedBy: null };
    await this.recordVideo(rec, 'customer');
    return rec.video;
  }

  async allowVideo(agentId: string, interactionId: string): Promise<VideoSession> {
    const rec = this.agentsActive(agentId, interactionId);
    const video = this.currentVideo(rec);
    nextState(VIDEO_STATES, 'video', video.state, 'allow'); // refuse before a room is opened for nothing
    await this.requireVideo().open(video.id);
    applyVideoEvent(video, 'allow', this.#clock.now());
    await this.recordVideo(rec, 'agent');
    return video;
  }

  async declineVideo(agentId: string, interactionId: string): Promise<VideoSession> {
    const rec = this.agentsActive(agentId, interactionId);
    const video = this.currentVideo(rec);
    applyVideoEvent(video, 'decline', this.#clock.now());
    await this.recordVideo(rec, 'agent');
    return video;
  }

  // Only the customer closes video alone; chat and call stay up.
  async customerCloseVideo(interactionId: string): Promise<VideoSession> {
    const rec = this.#center.openInteraction(interactionId);
    const video = this.currentVideo(rec);
    await this.closeVideo(rec, video, 'customer_close');
    return video;
  }

  // The agent's only way out once video runs: video, then the call, then the chat, in that order.
  async endSession(agentId: string, interactionId: string): Promise<InteractionRecord> {
    const rec = this.agentsActive(agentId, interactionId);
    if (rec.video && isVideoOpen(rec.video)) await this.closeVideo(rec, rec.video, 'end_session');
    if (rec.callLegs.some(isLive)) await this.release(rec);
    return this.#center.disconnect(agentId, interactionId);
  }

  // The media server lost the room (its worker died): the video ends like a close, chat and call stay.
  async onVideoLost(sessionId: string): Promise<void> {
    const rec = this.#center.openInteractions().find((r) => r.video?.id === sessionId);
    if (!rec?.video || rec.video.state !== 'active') return;
    await this.closeVideo(rec, rec.video, 'media_lost');
  }

  // Signaling is allowed only to the two participants of a running video session. The answers to
  // `capabilities` and `consume` say whether the video carries audio: not while a call carries the voice.
  async videoSignal(interactionId: string, participant: VideoParticipant, agentId: string | undefined, request: VideoSignal): Promise<unknown> {
    const rec = this.#center.openInteraction(interactionId);
    if (participant === 'agent' && rec.agentId !== agentId) throw forbidden('not_your_chat', 'This chat is not yours.');
    if (rec.video?.state !== 'active' || !this.#video) throw conflict('video_not_active', 'Video is not running in this chat.');
    const answer = await this.#video.signal(rec.video.id, participant, request);
    if (request.op !== 'capabilities' && request.op !== 'consume') return answer;
    return { ...(answer as object), withAudio: !rec.callLegs.some(isLive) };
  }

  // A closed tab or a dropped socket: that participant's transports go, the video session stays.
  participantLeft(interactionId: string, participant: VideoParticipant): void {
    const rec = this.#center.findOpenInteraction(interactionId);
    if (rec?.video?.state === 'active') this.#video?.leave(rec.video.id, participant);
  }

  // The agent's desktop went away: their side of every running video goes.
  agentLeft(agentId: string): void {
    for (const rec of this.#center.openInteractionsOf(agentId)) {
      if (rec.agentId === agentId) this.participantLeft(rec.id, 'agent');
    }
  }

  // What the media server holds for this chat's running video (for the agent's diagnostics and leak checks).
  async videoDump(agentId: string, interactionId: string): Promise<VideoRoomDump> {
    const rec = this.agentsActive(agentId, interactionId);
    if (rec.video?.state !== 'active' || !this.#video) throw conflict('video_not_active', 'Video is not running in this chat.');
    return this.#video.dump(rec.video.id);
  }

  // ---- internals ------------------------------------------------------------------------------

  private async autoDial(rec: InteractionRecord): Promise<void> {
    const service = await this.#center.requireService(rec.serviceId);
    if (!service.autoDial || !this.#telephony || !rec.agentId) return;
    await this.callCustomer(rec.agentId, rec.id);
  }

  // The agent's Disconnect is refused while a call or video is up (see ContactCenter.disconnect), so for
  // the agent this only closes a video request nobody answered.
  private async releaseMediaBeforeEnd(rec: InteractionRecord, by: Party): Promise<void> {
    if (rec.video && isVideoOpen(rec.video)) await this.closeVideo(rec, rec.video, by === 'customer' ? 'customer_close' : 'end_session');
    if (by !== 'agent' && rec.callLegs.some(isLive)) await this.release(rec);
  }

  private async release(rec: InteractionRecord): Promise<CallLeg> {
    const leg = this.liveLeg(rec);
    await this.requireTelephony().release(leg.id);
    if (isLive(leg)) applyCallEvent(leg, 'release', this.#clock.now());
    await this.recordCall(rec, leg);
    return leg;
  }

  private async closeVideo(rec: InteractionRecord, video: VideoSession, event: VideoEvent): Promise<void> {
    applyVideoEvent(video, event, this.#clock.now());
    await this.#video?.close(video.id);
    await this.recordVideo(rec, event === 'customer_close' ? 'customer' : event === 'end_session' ? 'agent' : 'system');
  }

  private agentsActive(agentId: string, interactionId: string): InteractionRecord {
    const rec = this.#center.openInteraction(interactionId);
    if (rec.agentId !== agentId || rec.state !== 'active') throw forbidden('not_your_chat', 'Accept this chat first.');
    return rec;
  }

  private liveLeg(rec: InteractionRecord): CallLeg {
    const leg = rec.callLegs.find(isLive);
    if (!leg) throw conflict('no_call', 'There is no call up in this chat.');
    return leg;
  }

  private currentVideo(rec: InteractionRecord): VideoSession {
    if (!rec.video) throw conflict('no_video', 'Video was not requested in this chat.');
    return rec.video;
  }

  private requireVideo(): VideoRooms {
    if (!this.#video) throw unavailable('video_unavailable', 'Video is not available on this server.');
    return this.#video;
  }

  private requireTelephony(): Telephony {
    if (!this.#telephony) throw unavailable('calling_not_configured', 'Calling is not configured on this server.');
    return this.#telephony;
  }

  private recordCall(rec: InteractionRecord, leg: CallLeg) {
    return this.#center.record(rec, { kind: 'call', author: 'system', agentId: leg.agentId, data: { ...leg } });
  }

  private recordVideo(rec: InteractionRecord, author: Party) {
    return this.#center.record(rec, { kind: 'video', author, agentId: rec.agentId, data: { ...rec.video } });
  }
}
