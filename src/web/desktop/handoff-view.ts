import type { ContactCenter } from '../../domain/contact-center.ts';
import { consultOf, handoffActions, transferOfferedTo, type MediaCapabilities } from '../../domain/guards.ts';
import type { InteractionRecord } from '../../domain/interaction.ts';
import type { TimelineEntry } from '../../domain/timeline.ts';

interface TransferOption {
  value: string;
  label: string;
}

// The Transfer controls of one agent's panel: the form (Transfer to: a Ready agent or a service with
// one; Transfer or Consult), or the handoff in progress: a transfer (Cancel transfer for the first
// agent, Accept for the target) or a consult (Complete transfer and Cancel transfer for the first agent;
// the target reads the chat and talks on the phone).
export async function transferView(rec: InteractionRecord, viewer: string | null, center: ContactCenter, media: MediaCapabilities, agentName: (id: string) => Promise<string>) {
  const offeredTo = transferOfferedTo(rec);
  const consult = consultOf(rec);
  const handling = viewer !== null && rec.state === 'active' && rec.agentId === viewer;
  const may = viewer ? handoffActions(rec, viewer, media) : null;
  return {
    handling,
    canTransfer: may?.transfer === null,
    blockedBy: handling && may?.transfer && !offeredTo ? may.transfer.message : null,
    canConsult: may?.consult === null,
    consultBlockedBy: handling && may?.consult && !offeredTo ? may.consult.message : null,
    pendingTo: handling && offeredTo && !consult ? await agentName(offeredTo) : null,
    // The first agent's view of its consult: who, and whether they answered.
    consulting: handling && consult ? { name: await agentName(consult.agentId), talking: consult.state === 'talking' } : null,
    canComplete: may?.complete_transfer === null,
    completeBlockedBy: handling && consult && may?.complete_transfer ? may.complete_transfer.message : null,
    offeredToYou: viewer !== null && offeredTo === viewer && !consult,
    canAcceptTransfer: may?.accept_transfer === null,
    acceptBlockedBy: viewer !== null && offeredTo === viewer && !consult && may?.accept_transfer ? may.accept_transfer.message : null,
    consultedYou: viewer !== null && offeredTo === viewer && consult !== null,
    from: offeredTo && rec.agentId ? await agentName(rec.agentId) : null,
    targets: handling && !offeredTo ? await transferTargets(center, viewer, agentName) : { agents: [], services: [] },
  };
}

// Ready agents other than the viewer, and the enabled services one of them serves (a transfer to a
// service goes to its Ready agent: one with none is refused anyway). A node that does not lead knows
// each agent's presence, not what they serve: there the services are read from the directory.
export async function transferTargets(center: ContactCenter, viewer: string, agentName: (id: string) => Promise<string>) {
  const ready = center.agents().filter((a) => a.presence === 'ready' && a.agentId !== viewer);
  const agents: TransferOption[] = [];
  for (const a of ready) agents.push({ value: `agent:${a.agentId}`, label: await agentName(a.agentId) });
  const served = await Promise.all(
    ready.map(async (a) => {
      if (a.serviceIds.length > 0) return a.serviceIds;
      const agent = await center.findAgent(a.agentId);
      return agent && !agent.disabled ? agent.serviceIds : [];
    }),
  );
  const services: TransferOption[] = [];
  for (const id of new Set(served.flat())) {
    const service = await center.requireService(id);
    if (!service.disabled) services.push({ value: `service:${id}`, label: service.name });
  }
  const byLabel = (a: TransferOption, b: TransferOption) => a.label.localeCompare(b.label);
  return { agents: agents.sort(byLabel), services: services.sort(byLabel) };
}

interface HandoffData {
  step?: string;
  kind?: string;
  fromName?: string;
  toName?: string;
  reason?: string;
}

const RETURN_REASON: Readonly<Record<string, string>> = {
  offer_timeout: 'nobody accepted in time',
  target_not_ready: 'the agent was no longer Ready',
  target_disabled: 'the agent was disabled by an admin',
  target_logged_out: 'the other agent logged out',
  restart: 'the server restarted',
  customer_ended: 'the customer ended the chat',
  agent_ended: 'the agent ended the chat',
  chat_ended: 'the chat ended',
  first_agent_disabled: 'the first agent was disabled by an admin',
  call_not_moved: "the new agent's phone did not answer",
  customer_hung_up: 'the customer hung up',
  target_no_answer: "the other agent's phone did not answer",
  target_hung_up: 'the other agent hung up',
  call_ended: 'the call ended',
  consult_failed: "the other agent's phone could not be called",
};

// One line of the timeline per handoff step, who and to whom.
export function handoffSummary(e: TimelineEntry): string {
  const d = (e.data ?? {}) as HandoffData;
  const why = d.reason ? ` (${RETURN_REASON[d.reason] ?? d.reason})` : '';
  const what = d.kind === 'consult' ? 'Consult with' : 'Transfer to';
  switch (d.step) {
    case 'offered':
      return `${d.fromName} offered a transfer to ${d.toName}${e.text ? `: ${e.text}` : ''}`;
    case 'consulted':
      return `${d.fromName} consulted ${d.toName}, the customer on hold${e.text ? `: ${e.text}` : ''}`;
    case 'accepted':
      return `${d.toName} accepted the transfer from ${d.fromName}`;
    case 'completed':
      return `${d.fromName} completed the transfer to ${d.toName}`;
    case 'returned':
      return `Transfer to ${d.toName} returned to ${d.fromName}${why}`;
    case 'cancelled':
      return `${what} ${d.toName} cancelled${why}`;
    default:
      return `Transfer: ${d.step ?? ''}`;
  }
}
