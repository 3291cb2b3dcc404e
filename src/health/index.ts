export { assessHealth } from './assess.js';
export {
  aggregateHealth,
  HEALTH_ORDER,
  worse,
  type HealthReport,
  type HealthStatus,
  type SubjectHealth,
} from './report.js';
