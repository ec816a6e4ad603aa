// Services customers reach and the agents who serve them.
export interface Service {
  id: string;
  name: string;
  autoDial: boolean;
}

export interface Agent {
  id: string;
  displayName: string;
  passwordHash: string;
  serviceIds: string[];
}
