import type { ContactCenter } from '../../domain/contact-center.ts';
import { supervisionOf, supervisorActions, type SupervisorAction } from '../../domain/guards.ts';
import { liveLeg, type InteractionRecord } from '../../domain/interaction.ts';
import type { SupervisionDesk } from '../../domain/supervision-desk.ts';
import { isSupervising, SUPERVISION_LABEL } from '../../domain/supervision.ts';

export const SUPERVISOR_ACTIONS: readonly SupervisorAction[] = ['listen', 'whisper', 'barge', 'stop'];

// What views/partials/supervisor-controls.eta is given, for one supervisor (their own mode is
// "You" and pressed): who supervises the call, and what this supervisor may do on it now (disabled
// with the reason when not). The joins and leaves themselves are on the interaction's timeline.
export async function controlsView(center: ContactCenter, supervision: SupervisionDesk, rec: InteractionRecord, supervisorId: string, error?: string) {
  const leg = liveLeg(rec) ?? rec.callLegs.at(-1);
  const may = supervisorActions(rec, supervisorId, supervision.capabilities);
  const name = async (id: string) => (await center.agentDisplayName(id)) ?? id;
  const mine = supervisionOf(rec, supervisorId);
  return {
    id: rec.id,
    supervisors: await Promise.all(
      (leg?.supervisions ?? []).filter(isSupervising).map(async (s) => ({ name: await name(s.supervisorId), state: s.state, label: SUPERVISION_LABEL[s.state], mine: s.supervisorId === supervisorId })),
    ),
    actions: SUPERVISOR_ACTIONS.map((action) => ({ action, label: action[0]!.toUpperCase() + action.slice(1), pressed: mine !== undefined && modeOf(mine.state) === action, refusal: may[action]?.message ?? null })),
    error: error ?? null,
  };
}

const modeOf = (state: string) => ({ listening: 'listen', whispering: 'whisper', barging: 'barge' })[state];
