// What the tests read in the agent desktop's HTML: the presence shown, an interaction's list item, an
// Accept button.

/** The agent's presence as the desktop page shows it. */
export function presenceShown(html: string): 'ready' | 'not_ready' | undefined {
  const m = /class="presence-state presence-(ready|not_ready)"/.exec(html);
  return m ? (m[1] as 'ready' | 'not_ready') : undefined;
}

/** The <li> of the interaction list that links to this interaction, if the page lists it. */
export function listItem(html: string, interactionId: string): string | undefined {
  const list = /<ul id="interaction-list"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  return [...list.matchAll(/<li\b[\s\S]*?<\/li>/g)].map((m) => m[0]).find((li) => li.includes(`/desktop/interactions/${interactionId}"`));
}

/** True when the HTML has an Accept button for this interaction. */
export function hasAcceptButton(html: string, interactionId: string): boolean {
  return new RegExp(`<button[^>]*hx-post="/desktop/interactions/${interactionId}/accept"[^>]*>\\s*Accept\\s*</button>`).test(html);
}
