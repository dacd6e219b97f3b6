/*
 * A Kafka producer as a tuned librdkafka user writes one: produce RECORDS records of SIZE bytes
 * (random letters) over the topic's partitions, CHUNK records to one partition then the next,
 * with rd_kafka_produce_batch() (librdkafka's call for many messages at once: one queue lock
 * per chunk, not per message; measured here it halves the producer's CPU per record against a
 * rd_kafka_produce() per record), then flush; every delivery report is checked and its latency
 * (enqueue to acknowledgement) kept.
 *
 *   rdkafka-producer BOOTSTRAP TOPIC RECORDS SIZE [key=value ...]
 *
 * key=value pairs are librdkafka settings (acks, linger.ms, batch.size, compression.type, ...).
 * Prints one JSON line (lat.h). Exit 1 on any error.
 */
#include <librdkafka/rdkafka.h>
#include <string.h>
#include <sys/resource.h>
#include "lat.h"

static double *sent_at;
static uint32_t *lat;
static size_t nlat;
static long errors;
static char first_error[256];

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk; (void)opaque;
  if (m->err) {
    if (errors++ == 0) snprintf(first_error, sizeof first_error, "%s", rd_kafka_err2str(m->err));
    return;
  }
  size_t i = (size_t)(uintptr_t)m->_private;
  lat[nlat++] = (uint32_t)(now_us() - sent_at[i]);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC RECORDS SIZE [key=value ...]\n", argv[0]);
    return 2;
  }
  const char *topic = argv[2];
  long records = atol(argv[3]);
  size_t size = (size_t)atol(argv[4]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  for (int a = 5; a < argc; a++) {
    char *eq = strchr(argv[a], '=');
    if (eq == NULL) { fprintf(stderr, "not key=value: %s\n", argv[a]); return 2; }
    *eq = 0;
    if (rd_kafka_conf_set(conf, argv[a], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == NULL) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }

  const struct rd_kafka_metadata *md;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (e || md->topic_cnt != 1 || md->topics[0].err) {
    fprintf(stderr, "metadata for %s: %s\n", topic, rd_kafka_err2str(e ? e : md->topics[0].err));
    return 1;
  }
  int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);

  sent_at = malloc(sizeof *sent_at * (size_t)records);
  lat = malloc(sizeof *lat * (size_t)records);
  size_t pool_size = 1 << 20;
  char *pool = payload_pool(pool_size);
  double start = now_us();
  /* Flags 0: no copy. The pool outlives every delivery, which is what librdkafka asks of a
   * payload it does not copy; a producer sending from stable memory does the same. */
  enum { CHUNK = 1000 };
  static rd_kafka_message_t chunk[CHUNK];
  for (long i = 0; i < records; i += CHUNK) {
    int32_t partition = (int32_t)((i / CHUNK) % partitions);
    int n = records - i < CHUNK ? (int)(records - i) : CHUNK;
    for (int k = 0; k < n; k++) {
      size_t at = ((size_t)(i + k) * 7919u * 13u) % (pool_size - size);
      memset(&chunk[k], 0, sizeof chunk[k]);
      chunk[k].payload = pool + at;
      chunk[k].len = size;
      chunk[k]._private = (void *)(uintptr_t)(i + k);
      sent_at[i + k] = now_us();
    }
    /* Messages refused (a full queue) have err set: keep them, in order, and offer them again. */
    int left = n;
    while (left > 0) {
      rd_kafka_produce_batch(rkt, partition, 0, chunk, left);
      int kept = 0;
      for (int k = 0; k < left; k++) {
        if (chunk[k].err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
        if (chunk[k].err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          fprintf(stderr, "produce: %s\n", rd_kafka_err2str(chunk[k].err));
          return 1;
        }
        chunk[kept] = chunk[k];
        chunk[kept].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        kept++;
      }
      left = kept;
      rd_kafka_poll(rk, left > 0 ? 1 : 0);
    }
  }
  while (rd_kafka_outq_len(rk) > 0) rd_kafka_flush(rk, 1000);
  double seconds = (now_us() - start) / 1e6;
  /* The client's own CPU, to tell a broker-bound run from a client-bound one. */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  char extra[300];
  snprintf(extra, sizeof extra, "\"partitions\":%d,\"librdkafka\":\"%s\",\"userSeconds\":%.3f,\"systemSeconds\":%.3f", partitions, rd_kafka_version_str(),
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  print_result(extra, records, seconds, errors, lat, nlat);
  if (errors) fprintf(stderr, "%ld delivery errors, first: %s\n", errors, first_error);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return errors ? 1 : 0;
bad_conf:
  fprintf(stderr, "config: %s\n", err);
  return 2;
}
