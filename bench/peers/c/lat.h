/*
 * Shared by the C load clients: a monotonic clock, per-record latencies kept in one array
 * (microseconds, sorted once at the end: no histogram maths in the delivery path), and the
 * one JSON line every client prints for bench/peers/clients.ts to read.
 */
#ifndef STRAND_BENCH_LAT_H
#define STRAND_BENCH_LAT_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static inline double pct_ms(const uint32_t *sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
  return sorted[i] / 1000.0;
}

/* One line: {"records":..,"seconds":..,"errors":..,"p50Ms":..,...}. */
static inline void print_result(const char *extra, long records, double seconds, long errors, uint32_t *lat, size_t n) {
  if (n > 0) qsort(lat, n, sizeof *lat, cmp_u32);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += lat[i];
  printf("{\"records\":%ld,\"seconds\":%.6f,\"errors\":%ld,\"latencies\":%zu,\"avgMs\":%.3f,\"p50Ms\":%.3f,\"p95Ms\":%.3f,"
         "\"p99Ms\":%.3f,\"p999Ms\":%.3f,\"maxMs\":%.3f%s%s}\n",
         records, seconds, errors, n, n ? sum / n / 1000.0 : 0, pct_ms(lat, n, 50), pct_ms(lat, n, 95), pct_ms(lat, n, 99),
         pct_ms(lat, n, 99.9), n ? lat[n - 1] / 1000.0 : 0, extra[0] ? "," : "", extra);
  fflush(stdout);
}

/* Random upper-case letters, as kafka-producer-perf-test's payloads. */
static inline char *payload_pool(size_t size) {
  char *p = malloc(size);
  srand(42);
  for (size_t i = 0; i < size; i++) p[i] = 'A' + rand() % 26;
  return p;
}
#endif
