/*
 * hypot and hypotf bound to their first glibc versions, for the Linux release link only.
 *
 * glibc 2.35 added new symbol versions of hypot and hypotf (the same results, only the
 * error-reporting wrapper changed), so a binary linked on a newer system asks for GLIBC_2.35
 * just for them, and Amazon Linux 2023 (glibc 2.34) cannot start it. swift-numerics, which
 * AsyncHTTPClient's dependencies bring in, names both; scripts/release links with
 * --wrap=hypot --wrap=hypotf, so those references land here and from here on the old versions,
 * which every glibc since 2.2.5 still provides.
 */
#if defined(__x86_64__)
#define SWIFT_CACHE_HYPOT_VERSION "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define SWIFT_CACHE_HYPOT_VERSION "GLIBC_2.17"
#else
#error "no known first glibc version of hypot for this architecture"
#endif

double swift_cache_old_hypot(double x, double y);
float swift_cache_old_hypotf(float x, float y);
__asm__(".symver swift_cache_old_hypot, hypot@" SWIFT_CACHE_HYPOT_VERSION);
__asm__(".symver swift_cache_old_hypotf, hypotf@" SWIFT_CACHE_HYPOT_VERSION);

double __wrap_hypot(double x, double y) { return swift_cache_old_hypot(x, y); }
float __wrap_hypotf(float x, float y) { return swift_cache_old_hypotf(x, y); }
