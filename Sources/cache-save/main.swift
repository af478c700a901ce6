import CacheCLI

// post-command's program in the development build; a release artifact's `cache-save` is a link
// to `cache-restore` instead: see `MultiCall`.
await MultiCall.main(fallback: .save)
