return Merx.Cli.MerxCli.Run(args);
