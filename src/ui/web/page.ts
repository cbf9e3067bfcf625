/** A page of the dashboard: it fills its element and returns how to stop (timers, streams). */
export interface Page {
  readonly id: string;
  readonly title: string;
  mount(el: HTMLElement): () => void;
}

/**
 * Calls `tick` now and every `ms` after the previous call settled (never two at once, so a slow
 * member is not asked faster than it answers); returns the stop function.
 */
export function poll(ms: number, tick: () => Promise<void>): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async (): Promise<void> => {
    try {
      await tick();
    } finally {
      if (!stopped) timer = setTimeout(() => void run(), ms);
    }
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
