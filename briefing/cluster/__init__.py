"""The cluster: the pure, expensive stage bodies as Celery tasks on workers (Redis broker), their inputs and
outputs in content-addressed shared storage (storage), the tasks and the Celery app (tasks), and the
coordinator that dispatches them and records their results in the store as the in-process runner does
(coordinator). With no ``[cluster]`` in briefing.toml none of this is used."""
