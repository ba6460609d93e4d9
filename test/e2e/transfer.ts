/** A TCP transfer through the tunnel between two namespaces, checked by sha256 on both ends. */
import { expect } from 'vitest';
import type { Netns, NetnsLab } from '../support/netns.js';
import { tcpReceiverScript, tcpSenderScript } from './support.js';

export async function tcpTransfer(
  lab: NetnsLab,
  from: Netns,
  to: Netns,
  senderAddress: string,
  bytes: number,
  port = 5001,
): Promise<{ seconds: number; mbits: number }> {
  const sender = lab.spawn(from, [process.execPath, '-e', tcpSenderScript(port, bytes)]);
  let sent = '';
  sender.stdout?.on('data', (d: Buffer) => {
    sent += d.toString();
  });
  const waitFor = (text: string, ms: number) =>
    new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + ms;
      const check = () => {
        if (sent.includes(text)) resolve();
        else if (Date.now() > deadline) reject(new Error(`sender never printed '${text}': ${sent}`));
        else setTimeout(check, 20);
      };
      check();
    });
  await waitFor('listening', 10_000);
  const started = Date.now();
  // The receiver in `to` connects to the sender at its tunnel address.
  const received = await lab.exec(to, [process.execPath, '-e', tcpReceiverScript(senderAddress, port)], {
    timeoutMs: 90_000,
  });
  const seconds = (Date.now() - started) / 1000;
  await waitFor('sent ', 10_000);
  const [, n, digest] = /received (\d+) ([0-9a-f]{64})/.exec(received.stdout) ?? [];
  expect(Number(n)).toBe(bytes);
  expect(sent).toContain(`sent ${digest}`);
  return { seconds, mbits: (bytes * 8) / seconds / 1e6 };
}
