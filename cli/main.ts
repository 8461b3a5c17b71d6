// The `palisade` command line: parses the subcommand and hands off to its module.
console.log("palisade: under construction");
