// The controller runtime: informers, work queue, controllers, manager with leader election,
// probes/metrics, and the status/finalizer/condition/event helpers. Knows nothing of Cloud Digit.
// FakeClock (src/shared/testing/fake-clock.ts) is not re-exported: production code never loads a test double.
export { realClock, sleep, jitter, type Clock, type TimerHandle } from "../shared/clock.ts";
export {
  ApiError,
  KubeClient,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  type KubeClientOptions,
  type KubeList,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type WatchEvent,
  type WatchOptions,
} from "./kube-client.ts";
export {
  apiVersionOf,
  collectionPath,
  joinKey,
  objectKey,
  objectPath,
  resourceId,
  splitKey,
  type KubeObject,
  type ObjectMeta,
  type ResourceType,
} from "./resource.ts";
export { ObjectStore, NAMESPACE_INDEX, type IndexFunc } from "./store.ts";
export { Reflector, type ReflectorOptions, type ReflectorStats } from "./reflector.ts";
export { Informer, stripManagedFields, type EventHandler, type InformerOptions } from "./informer.ts";
export {
  BucketRateLimiter,
  ExponentialFailureRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
  type RateLimiter,
} from "./rate-limiter.ts";
export { Priority, WorkQueue, type AddOptions, type QueueItem, type WorkQueueOptions } from "./workqueue.ts";
export { RuntimeMetrics } from "./metrics.ts";
export {
  Controller,
  type ControllerOptions,
  type ForOptions,
  type Reconcile,
  type ReconcileContext,
  type ReconcileResult,
  type WatchesOptions,
} from "./controller.ts";
export {
  LEASE_RESOURCE,
  LeaderElector,
  microTime,
  type Lease,
  type LeaderElectionConfig,
  type LeaderElectionEnd,
} from "./leader-election.ts";
export { HealthServer, type HealthServerOptions } from "./health-server.ts";
export { LeadershipLostError, Manager, type AddControllerOptions, type ManagerOptions } from "./manager.ts";
export {
  getCondition,
  isConditionTrue,
  metaTime,
  removeCondition,
  setCondition,
  type Condition,
  type ConditionInput,
} from "./conditions.ts";
export { mergePatch, writeStatus, type StatusWriteResult } from "./status.ts";
export { addFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.ts";
export {
  EVENT_RESOURCE,
  EventRecorder,
  type EventInput,
  type EventRecorderOptions,
  type EventType,
} from "./events.ts";
export {
  DEFAULT_REDACT_PATHS,
  createLogger,
  silentLogger,
  type Logger,
  type LoggerSetup,
} from "../shared/logging.ts";
export { Backoff } from "./backoff.ts";
