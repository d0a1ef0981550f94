using KisFeed.Cli;

Console.OutputEncoding = System.Text.Encoding.UTF8;
return await CliApp.RunAsync(args, CliConsole.System());
