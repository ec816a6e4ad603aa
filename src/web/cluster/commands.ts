// The commands a follower forwards to the leader: every call of the web layer that changes state or
// needs the leader's own parts (ARI, the SFU, routing). Anything not listed runs locally (reads:
// views, guards, presenters). `touches` names the interaction whose committed state the follower
// reads back before answering, so the page it renders next shows the command's effect.

export interface ForwardedMethod {
  touches?: (args: unknown[], result: unknown) => string | undefined;
  // Returns nothing the caller waits for (a socket closed): failures are logged, not thrown.
  fireAndForget?: boolean;
}

const first = (args: unknown[]) => args[0] as string;
const second = (args: unknown[]) => args[1] as string;

export const FORWARDED: Record<string, Record<string, ForwardedMethod>> = {
  center: {
    startChat: { touches: (_a, r) => (r as { interaction: { id: string } }).interaction.id },
    postCustomerMessage: { touches: first },
    addAttachment: { touches: first },
    updateContext: { touches: first },
    endByCustomer: { touches: first },
    setPresence: {},
    // At login: an agent added by another process (npm run admin) joins routing, which is the leader's.
    agentChanged: {},
    accept: { touches: second },
    postAgentMessage: { touches: second },
    disconnect: { touches: second },
    endSession: { touches: second },
  },
  multimedia: {
    callCustomer: { touches: second },
    releaseCall: { touches: second },
    toggleHold: { touches: second },
    toggleMute: { touches: second },
    requestVideo: { touches: first },
    allowVideo: { touches: second },
    declineVideo: { touches: second },
    customerCloseVideo: { touches: first },
    videoSignal: {},
    videoDump: {},
    // Every node's pages of each side are counted by the leader (video-pages.ts), in the order sent.
    customerJoined: { fireAndForget: true },
    participantLeft: { fireAndForget: true },
    agentJoined: { fireAndForget: true },
    agentLeft: { fireAndForget: true },
  },
  // Pause recording / Resume recording: the recorder is the leader's (ARI).
  recordings: {
    pause: { touches: second },
    resume: { touches: second },
  },
  // Listen / Whisper / Barge / Stop: they act on the leader's ARI and write the timeline.
  supervision: {
    listen: { touches: second },
    whisper: { touches: second },
    barge: { touches: second },
    stop: { touches: second },
  },
  // Wrap-up and rating (domain/closure.ts); the leader holds who awaits a wrap-up.
  closure: {
    wrapUp: { touches: second },
    rate: { touches: first },
    awaitingWrapUp: {},
  },
  // Transfer / Consult / Complete transfer / Accept / Cancel transfer (domain/handoff-desk.ts): offers,
  // their timers and consult calls are the leader's.
  handoffs: {
    transfer: { touches: second },
    consult: { touches: second },
    complete: { touches: second },
    accept: { touches: second },
    cancel: { touches: second },
  },
  admin: {
    saveService: {},
    setServiceDisabled: {},
    createAgent: {},
    updateAgent: {},
    setAgentDisabled: {},
    resetPassword: {},
    changeOwnPassword: {},
  },
  // Texts from SMS gateways' webhooks, received on any node.
  sms: { receive: {}, onDeliveryStatus: {} },
  // The voice adapter's calls that need ARI: phones' credentials pushed to Asterisk, its live view.
  softphone: { credentials: {} },
  simulatedPhones: { forChat: {} },
  telephonyAdmin: { status: {}, hasDeskPassword: {}, newDeskPassword: {} },
};
