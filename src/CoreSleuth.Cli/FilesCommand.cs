using System.CommandLine;
using CoreSleuth.Report;

namespace CoreSleuth.Cli;

public static partial class Program
{
    private sealed partial class Commands
    {
        /// <summary>
        /// <c>coresleuth files</c>: which binaries the analysis uses, where each one's code comes from,
        /// and the one command to run on the server that packs the missing ones for --sysroot.
        /// </summary>
        private Command Files()
        {
            var (command, common) = CoreCommand("files",
                "The binaries the analysis uses (executable, rtld, every mapped library) and where each one's code comes from: " +
                "the core, --sysroot, --binary, --exe, or missing; then one command to run on the server that packs the missing ones for --sysroot.",
                "coresleuth files mysqld.core", "coresleuth files mysqld.core --sysroot mysqld-binaries.tgz --format json");
            var inputs = AnalysisInputs.BinariesOnly(command);
            command.SetAction(r => Execute(r, common, inputs, (core, path) =>
                inputs.Read(r, out var error) is not { } options
                    ? Outcome.Failure(ExitUsage, error!)
                    : Outcome.Of(FilesReport.Build(core, path, options), FilesReport.WriteText, FilesReport.WriteJson)));
            return command;
        }
    }
}
