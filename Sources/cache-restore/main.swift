import CacheCLI

// pre-command's program. Release artifacts also install this executable as `cache-save`: see
// `MultiCall`.
await MultiCall.main(fallback: .restore)
