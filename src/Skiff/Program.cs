using Skiff.Cli;

return await SkiffCommandLine.RunAsync(args, new CliContext());
