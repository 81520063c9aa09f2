using Patronus.Server.Cli;

return await PatronusCli.RunAsync(args).ConfigureAwait(false);
