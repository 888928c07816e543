"""What may leave a country: small-count protection and privacy checks."""
