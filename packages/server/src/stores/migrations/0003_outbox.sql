-- mfa-kit PostgreSQL store, migration 0003: the webhook outbox. Each event's deliveries wait here
-- from the moment it happens until a receiver acknowledged them, so a crash or a restart loses
-- none. Run with search_path set to the store's schema, as 0001.

-- One delivery of one event to one endpoint. Messages of one `stream` (an endpoint and a user) go
-- out in `seq` order: only a stream's oldest message is ever handed out.
CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  stream text NOT NULL,
  id text NOT NULL,
  payload text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  due_at bigint NOT NULL,
  -- A claim's lease: the message is not handed out again before this.
  leased_until bigint NOT NULL DEFAULT 0
);
CREATE INDEX outbox_stream ON outbox (stream, seq);
