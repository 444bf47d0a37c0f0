export * from './held-queue';
export * from './held-drainer';
