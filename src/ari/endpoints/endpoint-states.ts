import type { Ari, AriEvent } from '../client.ts';

// Which agent endpoints are registered, kept from ARI's EndpointStateChange events so that placing a
// call asks Asterisk nothing first. Unknown (asked for) before the first connect and after a failure.
export class EndpointStates {
  static readonly EVENTS = ['EndpointStateChange'] as const;
  #states: Map<string, string> | null = null;

  // After every connect: the app subscribes to these endpoints, then reads their states once.
  async refresh(ari: Ari, app: string, names: string[]): Promise<void> {
    this.#states = null;
    // Endpoint by endpoint, not the whole technology: an app subscribed to an endpoint also takes its texts.
    for (let i = 0; i < names.length; i += 20) {
      await ari.applications.subscribe({ applicationName: app, eventSource: names.slice(i, i + 20).map((n) => `endpoint:PJSIP/${n}`) });
    }
    this.#states = await this.read(ari);
  }

  // An agent added after the connect: its endpoints are subscribed to as well (else no event would say
  // when its phone goes), and their state is asked of Asterisk at the next look-up.
  async watch(ari: Ari, app: string, names: string[]): Promise<void> {
    await ari.applications.subscribe({ applicationName: app, eventSource: names.map((n) => `endpoint:PJSIP/${n}`) });
    for (const name of names) this.#states?.delete(name);
  }

  handle(event: AriEvent): boolean {
    if (event.type !== 'EndpointStateChange' || event.endpoint?.technology !== 'PJSIP') return false;
    this.#states?.set(event.endpoint.resource, event.endpoint.state);
    return true;
  }

  // The first of `names` that is online. When the events say none is, Asterisk is asked before the
  // call is refused: around an Asterisk restart a phone's registration replaces the contact it had
  // kept in its database, and the last event of that may say offline.
  async firstOnline(ari: Ari, names: string[]): Promise<string | undefined> {
    const cached = this.#states;
    const found = cached && names.find((name) => cached.get(name) === 'online');
    if (found) return found;
    const states = await this.read(ari);
    for (const name of names) if (cached === this.#states) this.#states?.set(name, states.get(name) ?? 'unknown');
    return names.find((name) => states.get(name) === 'online');
  }

  // A call to an endpoint said online failed: ask Asterisk again next time.
  forget(): void {
    this.#states = null;
  }

  private async read(ari: Ari): Promise<Map<string, string>> {
    return new Map((await ari.endpoints.listByTech({ tech: 'PJSIP' })).map((e) => [e.resource, e.state]));
  }
}

// The agent's phone is whichever of their endpoints is registered: the browser softphone first.
// (A supervisor's phone too.)
export async function registeredPhone(states: Pick<EndpointStates, 'firstOnline'>, ari: Ari, endpoints: string[], agentId: string): Promise<string> {
  const found = await states.firstOnline(ari, endpoints);
  if (!found) throw new Error(`the agent's phone is not registered (no softphone or desk phone online for ${agentId})`);
  return `PJSIP/${found}`;
}
