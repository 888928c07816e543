"""The shareable frequency package: files, GDI naming, manifest, checksums."""
