# Build: the relieflink binary, with the Swift runtime linked in statically.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Plugins ./Plugins
COPY Tests ./Tests
COPY sql ./sql
RUN swift build -c release --product relieflink --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/relieflink" /relieflink

# Run: a slim Debian with libpq. Migrations and the OpenAPI contract are inside the binary.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --shell /usr/sbin/nologin relieflink
COPY --from=build /relieflink /usr/local/bin/relieflink
USER relieflink
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/relieflink"]
CMD ["serve", "--hostname", "0.0.0.0"]
