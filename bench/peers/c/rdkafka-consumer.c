/*
 * A Kafka consumer reading RECORDS records of a topic from offset 0 through librdkafka: every
 * partition assigned at its beginning (no group: the figure is fetch throughput, not a
 * rebalance), timed from the assignment to the last record.
 *
 *   rdkafka-consumer BOOTSTRAP TOPIC RECORDS [key=value ...]
 *
 * Prints one JSON line (lat.h, no latencies). Exit 1 on any error or timeout (60 s idle).
 */
#include <librdkafka/rdkafka.h>
#include <string.h>
#include <sys/resource.h>
#include "lat.h"

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s BOOTSTRAP TOPIC RECORDS [key=value ...]\n", argv[0]);
    return 2;
  }
  const char *topic = argv[2];
  long records = atol(argv[3]);
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  const char *base[][2] = {{"bootstrap.servers", argv[1]}, {"group.id", "strand-bench"}, {"enable.auto.commit", "false"}, {"enable.partition.eof", "false"}};
  for (size_t k = 0; k < sizeof base / sizeof base[0]; k++)
    if (rd_kafka_conf_set(conf, base[k][0], base[k][1], err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  for (int a = 4; a < argc; a++) {
    char *eq = strchr(argv[a], '=');
    if (eq == NULL) { fprintf(stderr, "not key=value: %s\n", argv[a]); return 2; }
    *eq = 0;
    if (rd_kafka_conf_set(conf, argv[a], eq + 1, err, sizeof err) != RD_KAFKA_CONF_OK) goto bad_conf;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == NULL) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }
  rd_kafka_poll_set_consumer(rk);

  const struct rd_kafka_metadata *md;
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (e || md->topic_cnt != 1 || md->topics[0].err) {
    fprintf(stderr, "metadata for %s: %s\n", topic, rd_kafka_err2str(e ? e : md->topics[0].err));
    return 1;
  }
  int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;

  double start = now_us();
  if ((e = rd_kafka_assign(rk, list))) { fprintf(stderr, "assign: %s\n", rd_kafka_err2str(e)); return 1; }
  long got = 0, errors = 0;
  double last = now_us(), first = 0, idle = 0;
  while (got < records) {
    double before = now_us();
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    double after = now_us();
    /* The queue stayed empty for over 10 ms: the application waited on the fetcher (the broker, or
       librdkafka's own backoff), not on its own work. */
    if (got > 0 && after - before > 10e3) idle += after - before;
    if (m == NULL) {
      if (after - last > 60e6) { fprintf(stderr, "no record for 60 s after %ld of %ld\n", got, records); return 1; }
      continue;
    }
    if (m->err) {
      if (errors++ == 0) fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
    } else {
      if (got++ == 0) first = after;
      last = after;
    }
    rd_kafka_message_destroy(m);
  }
  double seconds = (now_us() - start) / 1e6;
  /* The client's own CPU, to tell a broker-bound run from a client-bound one. */
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  char extra[300];
  snprintf(extra, sizeof extra, "\"partitions\":%d,\"librdkafka\":\"%s\",\"firstMs\":%.1f,\"idleMs\":%.1f,\"userSeconds\":%.3f,\"systemSeconds\":%.3f", partitions,
           rd_kafka_version_str(), (first - start) / 1e3, idle / 1e3, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  print_result(extra, got, seconds, errors, NULL, 0);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return errors ? 1 : 0;
bad_conf:
  fprintf(stderr, "config: %s\n", err);
  return 2;
}
