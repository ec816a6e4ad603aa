// What the tests read in the agent desktop's HTML (and the login page's): the presence shown, an
// interaction's list item, an Accept button, a form's hidden input, a <meta> tag.

/** The agent's presence as the desktop page shows it. */
export function presenceShown(html: string): 'ready' | 'not_ready' | 'wrap_up' | undefined {
  const m = /class="presence-state presence-(ready|not_ready|wrap_up)"/.exec(html);
  return m ? (m[1] as 'ready' | 'not_ready' | 'wrap_up') : undefined;
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

/** The value of the first <input name="…"> with this name. */
export function findInputValue(html: string, name: string): string | undefined {
  return findTagAttribute(html, 'input', 'name', name, 'value');
}

/** The content of the first <meta name="…"> with this name. */
export function findMetaContent(html: string, name: string): string | undefined {
  return findTagAttribute(html, 'meta', 'name', name, 'content');
}

// Finds the first <tag> whose attribute `key` equals `keyValue` and returns its attribute `wanted`.
function findTagAttribute(html: string, tag: string, key: string, keyValue: string, wanted: string): string | undefined {
  for (const match of html.matchAll(new RegExp(`<${tag}\\b[^>]*>`, 'gi'))) {
    const attributes = parseAttributes(match[0]);
    if (attributes.get(key) === keyValue) return attributes.get(wanted);
  }
  return undefined;
}

function parseAttributes(tagSource: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([^\s=<>/"']+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g;
  for (const m of tagSource.matchAll(pattern)) {
    const attrName = (m[1] ?? '').toLowerCase();
    attributes.set(attrName, decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return attributes;
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi, (whole, entity: string) => {
    const lower = entity.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    return named[lower] ?? whole;
  });
}

/** The message shown next to a form field of the admin and account pages (`<p id="f-<name>-error">`). */
export function fieldError(html: string, name: string): string | undefined {
  return new RegExp(`<p class="error field-error" id="f-${name}-error">([^<]*)</p>`).exec(html)?.[1];
}

/** A password the page shows once (after Add agent with a blank password, or Reset password). */
export function shownPassword(html: string): string | undefined {
  return /<code class="password">([^<]+)<\/code>/.exec(html)?.[1];
}
