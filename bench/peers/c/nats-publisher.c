/*
 * A JetStream publisher as a NATS user writes one with the C client: create stream BENCH
 * (subjects bench.>, file storage, limits retention, 1 replica), then js_PublishAsync RECORDS
 * messages of SIZE bytes (random letters) round-robin over SUBJECTS subjects with at most
 * MAX_PENDING unacknowledged, wait for every PubAck (js_PublishAsyncComplete), and read the
 * stream's message count back from the server (stream info).
 *
 *   nats-publisher URL RECORDS SIZE SUBJECTS MAX_PENDING
 *
 * Latency is per message, publish call to its PubAck: one connection and one fresh stream, so
 * the PubAck's stream sequence N is the N-th message sent. Prints one JSON line (lat.h) with
 * "stored" (the stream's message count). Exit 1 on any error.
 */
#include <nats/nats.h>
#include <string.h>
#include "lat.h"

static double *sent_at;
static uint32_t *lat;
static size_t nlat;
static long errors;

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure) {
  (void)js; (void)closure;
  if (pa != NULL && pa->Sequence >= 1) {
    lat[nlat++] = (uint32_t)(now_us() - sent_at[pa->Sequence - 1]);
  } else if (pae != NULL) {
    if (errors++ == 0) fprintf(stderr, "publish: %s\n", pae->ErrText ? pae->ErrText : natsStatus_GetText(pae->Err));
  }
  natsMsg_Destroy(msg);
}

#define CHECK(call) do { natsStatus s_ = (call); if (s_ != NATS_OK) { fprintf(stderr, "%s: %s\n", #call, natsStatus_GetText(s_)); return 1; } } while (0)

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s URL RECORDS SIZE SUBJECTS MAX_PENDING\n", argv[0]);
    return 2;
  }
  long records = atol(argv[2]);
  size_t size = (size_t)atol(argv[3]);
  int subjects = atoi(argv[4]);
  natsConnection *nc;
  jsCtx *js;
  jsOptions jo;
  jsErrCode jerr = 0;
  CHECK(natsConnection_ConnectTo(&nc, argv[1]));
  CHECK(jsOptions_Init(&jo));
  jo.PublishAsync.MaxPending = atol(argv[5]);
  jo.PublishAsync.AckHandler = on_ack;
  // A publish that finds MAX_PENDING outstanding waits for acks (default 200 ms, then a timeout error).
  jo.PublishAsync.StallWait = 120000;
  CHECK(natsConnection_JetStream(&js, nc, &jo));

  jsStreamConfig sc;
  jsStreamInfo *si = NULL;
  const char *subj[] = {"bench.>"};
  CHECK(jsStreamConfig_Init(&sc));
  sc.Name = "BENCH";
  sc.Subjects = subj;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  sc.Retention = js_LimitsPolicy;
  sc.Replicas = 1;
  CHECK(js_AddStream(&si, js, &sc, NULL, &jerr));
  jsStreamInfo_Destroy(si);

  char (*names)[32] = malloc(sizeof *names * (size_t)subjects);
  for (int k = 0; k < subjects; k++) snprintf(names[k], sizeof names[k], "bench.%d", k);
  sent_at = malloc(sizeof *sent_at * (size_t)records);
  lat = malloc(sizeof *lat * (size_t)records);
  size_t pool_size = 1 << 20;
  char *pool = payload_pool(pool_size);
  double start = now_us();
  for (long i = 0; i < records; i++) {
    size_t at = ((size_t)i * 7919u * 13u) % (pool_size - size);
    sent_at[i] = now_us();
    CHECK(js_PublishAsync(js, names[i % subjects], pool + at, (int)size, NULL));
  }
  jsPubOptions po;
  CHECK(jsPubOptions_Init(&po));
  po.MaxWait = 120000;
  CHECK(js_PublishAsyncComplete(js, &po));
  double seconds = (now_us() - start) / 1e6;
  CHECK(js_GetStreamInfo(&si, js, "BENCH", NULL, &jerr));
  char extra[200];
  snprintf(extra, sizeof extra, "\"stored\":%llu,\"nats\":\"%s\"", (unsigned long long)si->State.Msgs, nats_GetVersion());
  jsStreamInfo_Destroy(si);
  print_result(extra, records, seconds, errors, lat, nlat);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return errors ? 1 : 0;
}
