"""Small core helpers every layer uses: settings, domain errors, ids, time, secret hashing."""
