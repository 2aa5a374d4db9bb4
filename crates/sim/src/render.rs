//! The consumer program as code: confluent-kafka Python (librdkafka model) or Java, with the
//! source line of every program point. Being written; see the render helper's task.
