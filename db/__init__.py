"""The unified industrial-land database: schema, engines and table I/O."""
