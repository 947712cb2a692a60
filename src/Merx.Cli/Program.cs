using System.CommandLine;
using Merx.Cli.Commands;

var root = new RootCommand("merx — a recommendation engine for online shops. 'merx demo' shows it working; 'merx <command> --help' explains each command.")
{
    GenerateCommand.Create(),
    ImportCommand.Create(),
    StatsCommand.Create(),
    TrainCommand.Create(),
    EvaluateCommand.Create(),
    RecommendCommand.Create(),
    DemoCommand.Create(),
};
return root.Parse(args).Invoke();
