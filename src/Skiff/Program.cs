using Skiff.Cli;

ProcessSignals.UnblockAll();
return await SkiffCommandLine.RunAsync(args, new CliContext());
