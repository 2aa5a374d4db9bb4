pub fn version() -> &'static str { "0" }
