// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom lacks the observers @grafana/ui's Select menu uses to size and virtualise its options.
class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
global.IntersectionObserver ??= NoopObserver;
global.ResizeObserver ??= NoopObserver;
