// wdfmon: poolmon, verifier.exe and !wdfkd for programs that use the library.
import ArgumentParser

/// The command and its verbs. Without a verb, `sample` runs (the bundled sample driver).
@main
struct WdfMon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wdfmon",
        abstract: "Runs programs that use the driver memory library under the verifier and watches their pool, poolmon-style.",
        discussion: """
            wdfmon run [settings] -- PROGRAM [ARGS...]   run a program under the verifier, watch it, get a verdict
            wdfmon attach PID                            watch a program started with WDFMON_PUBLISH=1
            wdfmon tree PID                              print its framework object tree
            wdfmon diff A.json B.json                    per-tag differences between two runs
            wdfmon [sample options]                      the bundled sample driver under load
            """,
        subcommands: [Sample.self, Run.self, Attach.self, Tree.self, Diff.self],
        defaultSubcommand: Sample.self)
}
