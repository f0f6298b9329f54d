# The kspm image: one static-ish binary on a distroless base (glibc, CA certificates, no shell).
# The same image runs `kspm agent` (the DaemonSet, as root for reading host files: see
# `kspm manifest`) and `kspm server` (as the non-root user 65532).
#   docker build -t ghcr.io/kspm/kspm:0.1.0 .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kspm-cli && strip target/release/kspm

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/kspm /usr/local/bin/kspm
# The agent idles for hours between cycles: a jemalloc background thread gives what a cycle
# freed back to the node a second later (the manifest sets the same for the agent).
ENV _RJEM_MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000
USER 65532:65532
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/kspm"]
CMD ["--help"]
