// Placeholder for local runs of the image alone; every deploy mounts its environment's own file over it.
window.GOLDEN_ENV = { API_BASE_URL: '', ENVIRONMENT: 'local' };
