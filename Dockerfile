# syntax=docker/dockerfile:1
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The embedded store's SQLite is pure Go, so the binary is static.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/surveyd ./cmd/surveyd \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/surveyd /usr/local/bin/surveyd
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV SURVEYD_ADDR=:8080 SURVEYD_DATA_DIR=/data
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/usr/local/bin/surveyd"]
CMD ["serve"]
