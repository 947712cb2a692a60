using System.CommandLine;
using Merx.Cli.Commands;

namespace Merx.Cli;

/// <summary>The `merx` command tree; Program.cs and the end-to-end tests both run it.</summary>
public static class MerxCli
{
    public static RootCommand Create() => new("merx — a recommendation engine for online shops. 'merx demo' shows it working; 'merx <command> --help' explains each command.")
    {
        GenerateCommand.Create(),
        ImportCommand.Create(),
        StatsCommand.Create(),
        BackupCommand.Create(),
        RestoreCommand.Create(),
        MigrateCommand.Create(),
        TrainCommand.Create(),
        EvaluateCommand.Create(),
        SuggestTagsCommand.Create(),
        SearchBenchCommand.Create(),
        NewItemsBenchCommand.Create(),
        FederatedCommand.Create(),
        TuneCommand.Create(),
        AbTestCommand.Create(),
        SimulateCommand.Create(),
        OpeCommand.Create(),
        RecommendCommand.Create(),
        ServeCommand.Create(),
        WorkerCommand.Create(),
        DemoCommand.Create(),
        ForgetCommand.Create(),
        PseudonymCommand.Create(),
        RotateKeyCommand.Create(),
        DpPlanCommand.Create(),
        AttackCommand.Create(),
        IndexBenchCommand.Create(),
        ExportCommand.Create(),
    };

    public static int Run(string[] args) => Create().Parse(args).Invoke();
}
