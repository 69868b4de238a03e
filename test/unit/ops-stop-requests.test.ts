import { listenForStopRequests, type StopReason } from '../../ops/stop-requests';

describe('stop requests of the local stack', () => {
  const setup = (duplicateWindowMs: number) => {
    const stops: StopReason[] = [];
    const forces: string[] = [];
    const requests = listenForStopRequests({ onStop: (r) => stops.push(r), onForce: (s) => forces.push(s), watchParent: false, duplicateWindowMs, log: () => undefined });
    return { stops, forces, requests };
  };

  it('stops on the first signal and ignores the same Ctrl-C delivered twice (terminal and npm)', () => {
    const { stops, forces, requests } = setup(60_000);
    try {
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGTERM', 'SIGTERM');
      expect(stops).toEqual(['SIGINT']);
      expect(forces).toEqual([]);
    } finally {
      requests.dispose();
    }
  });

  it('forces the stop on a second signal after the duplicate window, once', async () => {
    const { stops, forces, requests } = setup(20);
    try {
      process.emit('SIGTERM', 'SIGTERM');
      await new Promise((r) => setTimeout(r, 40));
      process.emit('SIGINT', 'SIGINT');
      process.emit('SIGHUP', 'SIGHUP');
      expect(stops).toEqual(['SIGTERM']);
      expect(forces).toEqual(['SIGINT']);
    } finally {
      requests.dispose();
    }
  });

  it('removes its handlers on dispose', () => {
    const before = process.listenerCount('SIGINT');
    const { requests } = setup(0);
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    requests.dispose();
    expect(process.listenerCount('SIGINT')).toBe(before);
  });
});
