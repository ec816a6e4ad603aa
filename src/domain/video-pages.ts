import type { VideoParticipant } from './ports.ts';

// The pages with a live socket of each side of video: a customer's chat pages, an agent's desktops.
// Held where the rules run (the leader), whichever node serves each socket: a side's transports go
// only once its last page has gone. A node's own count would close the video of a page that moved to
// another node (a phone back from the background reconnects there, before its old socket is cut) or
// running in the agent's other tab there.
export class VideoPages {
  readonly #open = new Map<string, Set<string>>();

  joined(side: PageSide, pageId: string): void {
    const key = keyOf(side);
    const pages = this.#open.get(key) ?? new Set<string>();
    pages.add(pageId);
    this.#open.set(key, pages);
  }

  // Whether that was the side's last page. A page that never joined (a node on older code, or one
  // that joined before this leader took over) is taken as the last when none is known.
  left(side: PageSide, pageId: string | undefined): boolean {
    const key = keyOf(side);
    const pages = this.#open.get(key);
    if (pageId !== undefined) pages?.delete(pageId);
    if (pages && pages.size > 0) return false;
    this.#open.delete(key);
    return true;
  }

  // A chat that ended: pages a crashed node never said goodbye for are forgotten with it.
  forgetChat(interactionId: string): void {
    this.#open.delete(keyOf({ participant: 'customer', interactionId }));
  }
}

export type PageSide = { participant: Extract<VideoParticipant, 'customer'>; interactionId: string } | { participant: Extract<VideoParticipant, 'agent'>; agentId: string };

const keyOf = (side: PageSide): string => (side.participant === 'customer' ? `customer:${side.interactionId}` : `agent:${side.agentId}`);
