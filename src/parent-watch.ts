// npm 11 does not pass SIGTERM on to the script it runs: stopping `npm start` or `npm run asterisk`
// by npm's pid ended npm and left our process (and the Asterisk it runs) behind, re-parented. So a
// command started by npm also stops when its parent goes, as it would on SIGTERM.
export function stopWithParent(stop: (reason: string) => void, everyMs = 1000): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop('parent exited');
  }, everyMs);
  timer.unref();
}
