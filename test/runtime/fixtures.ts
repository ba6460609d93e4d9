/**
 * Fixtures for the runtime tests: a real PKI (src/pki) with fast schemes, and
 * a loopback "network" that connects a server control plane and several
 * client control planes with asynchronous delivery (setImmediate), recording
 * every event and answering `auth-needed` asynchronously.
 */

import { randomBytes } from 'node:crypto';
import { signatureSchemeByName } from '../../src/crypto/signature-schemes.js';
import { certificateToPem } from '../../src/pki/certificate.js';
import { createCertificate, type NewCertificate } from '../../src/pki/issue.js';
import type { EndpointEvent } from '../../src/protocol/control/server-endpoint.js';
import type { AuthResult, LocalIdentity, SessionEvent } from '../../src/protocol/handshake/types.js';
import type {
  ClientControlPlane,
  ClientControlPlaneSink,
  ServerControlPlane,
  ServerControlPlaneSink,
} from '../../src/runtime/control-plane.js';

const random = (n: number) => new Uint8Array(randomBytes(n));

export interface TestPki {
  readonly caPem: string;
  readonly server: LocalIdentity;
  client(commonName: string): LocalIdentity;
}

/** A CA, a server certificate and client certificates on demand, all valid from yesterday for 30 days. */
export function makePki(
  options: { ca?: string; server?: string; client?: string; serverName?: string } = {},
): TestPki {
  const now = new Date(Date.now() - 86_400_000);
  const ca = createCertificate({
    profile: 'ca',
    subject: { commonName: 'runtime test CA' },
    scheme: signatureSchemeByName(options.ca ?? 'ml-dsa-44'),
    days: 30,
    now,
    random,
  });
  const leaf = (profile: 'server' | 'client', cn: string, scheme: string): LocalIdentity => {
    const c: NewCertificate = createCertificate(
      { profile, subject: { commonName: cn }, scheme: signatureSchemeByName(scheme), days: 30, now, random },
      { certificate: ca.certificate, key: ca.key },
    );
    return { chain: [c.certificate.der], scheme, secretKey: c.key.secretKey };
  };
  return {
    caPem: certificateToPem(ca.certificate),
    server: leaf('server', options.serverName ?? 'vpn.example.org', options.server ?? 'ml-dsa-44'),
    client: (cn) => leaf('client', cn, options.client ?? 'ml-dsa-44'),
  };
}

export type Decide = (e: Extract<EndpointEvent, { type: 'auth-needed' }>) => AuthResult;

/** Accepts everyone, giving peer ids 1, 2, … */
export function acceptAll(): Decide {
  let next = 1;
  return () => ({ ok: true, peerId: next++, pushOptions: ['ping 10'] });
}

/**
 * Client address `a` talks to the server; datagrams are delivered on a later
 * turn of the event loop, as a socket would. `drop` (a test hook) may discard
 * datagrams.
 */
export class Loopback {
  server: ServerControlPlane | undefined;
  readonly clients = new Map<string, ClientControlPlane>();
  readonly serverEvents: EndpointEvent[] = [];
  readonly clientEvents = new Map<string, SessionEvent[]>();
  decide: Decide;
  /** Datagrams the server sent to each address so far (delivered or not). */
  readonly sentTo = new Map<string, number>();
  /** Test hook: deliver the `n`th (0-based) server datagram to `address`? Default: all. */
  deliverToClient: (address: string, n: number) => boolean = () => true;
  /** Datagrams each client sent so far (delivered or not). */
  readonly sentFrom = new Map<string, number>();
  /** Test hook: deliver the `n`th (0-based) datagram of the client at `address`? Default: all. */
  deliverToServer: (address: string, n: number) => boolean = () => true;
  private waiters: Array<() => void> = [];

  constructor(decide: Decide = acceptAll()) {
    this.decide = decide;
  }

  readonly serverSink: ServerControlPlaneSink = {
    send: (datagram, to) => {
      const n = this.sentTo.get(to) ?? 0;
      this.sentTo.set(to, n + 1);
      if (!this.deliverToClient(to, n)) return;
      const copy = datagram.slice();
      setImmediate(() => this.clients.get(to)?.receive(copy));
    },
    event: (e) => {
      this.serverEvents.push(e);
      if (e.type === 'auth-needed') {
        // The driver answers asynchronously (a password database lookup, say).
        setImmediate(() => this.server?.authResult(e.session, this.decide(e)));
      }
      this.notify();
    },
  };

  clientSink(address: string): ClientControlPlaneSink {
    this.clientEvents.set(address, []);
    return {
      send: (datagram) => {
        const n = this.sentFrom.get(address) ?? 0;
        this.sentFrom.set(address, n + 1);
        if (!this.deliverToServer(address, n)) return;
        const copy = datagram.slice();
        setImmediate(() => this.server?.receive(copy, address));
      },
      event: (e) => {
        this.clientEvents.get(address)!.push(e);
        this.notify();
      },
    };
  }

  eventsOf(address: string): SessionEvent[] {
    return this.clientEvents.get(address) ?? [];
  }

  /** Resolves once `condition` holds (checked after every event), rejects after `timeoutMs`. */
  waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!condition()) return;
        clearTimeout(timeout);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  established(address: string): boolean {
    return this.eventsOf(address).some((e) => e.type === 'established');
  }

  closed(address: string): boolean {
    return this.eventsOf(address).some((e) => e.type === 'closed');
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}
