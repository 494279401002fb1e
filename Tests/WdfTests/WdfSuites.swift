import Testing

/// Every Wdf suite runs inside this one, one test at a time: objects created without a parent
/// belong to the current driver, and the verifier tests load and unload drivers, so tests that
/// ran side by side could adopt each other's objects.
@Suite(.serialized)
struct WdfSuites {}
