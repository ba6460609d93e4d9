/**
 * `pqvpn passwd` — manage the username/password database (docs/PASSDB.md).
 *
 *     pqvpn passwd add USER --db FILE [--stdin] [--scrypt ln=15,r=8,p=1]
 *     pqvpn passwd set USER --db FILE [--stdin] [--scrypt ...]
 *     pqvpn passwd del USER --db FILE
 *     pqvpn passwd list --db FILE [--long]
 *     pqvpn passwd check USER --db FILE [--stdin]
 *
 * `add` refuses an existing user and `set` an unknown one, so a typo in a name
 * never silently overwrites someone's password or creates a stray account.
 * `--db` is required: the server reads the file its config names (`passdb FILE`),
 * and a default such as `./passdb` would let an administrator edit a file in the
 * current directory that no server reads, and believe a user was removed.
 *
 * Passwords come from the terminal without echo (asked twice for add/set) or, for
 * scripts, from the first line of standard input with `--stdin`. They never appear
 * in output or errors.
 * @module
 */

import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { checkPassword, printable } from '../../passdb/credentials.js';
import { formatScryptParams, parseScryptParams, type ScryptParams } from '../../passdb/scrypt-hash.js';
import { addUser, deleteUser, readPassdbFile, type StoreOptions, setPassword } from '../../passdb/store.js';
import { verifyPassword } from '../../passdb/verify.js';
import type { CommandIO } from '../io.js';

/** What tests may replace: parameters, limits and the scrypt function. */
export type PasswdDeps = Pick<StoreOptions, 'limits' | 'params' | 'scrypt' | 'random' | 'lock'>;

interface Common {
  db: string;
}
interface WithUser extends Common {
  user: string;
}
interface WithPassword extends WithUser {
  stdin: boolean;
}
interface WithScrypt extends WithPassword {
  scrypt: string | undefined;
}

export function passwdCommand(io: CommandIO, deps: PasswdDeps = {}): CommandModule {
  const storeOptions = (scrypt?: string): StoreOptions => {
    const params = scrypt === undefined ? deps.params : parseParamsOption(scrypt);
    return {
      ...deps,
      ...(params ? { params } : {}),
      warn: (message) => io.stderr(`WARNING: ${message}`),
    };
  };

  const add: CommandModule<Common, WithScrypt> = {
    command: 'add <user>',
    describe: 'add a user (an error if the user exists; see set)',
    builder: (y) =>
      withScrypt(withPasswordInput(withUserArg(y)))
        .example('$0 passwd add alice --db /etc/pqvpn/passdb', 'add alice, asking for her password twice')
        .example('printf \'%s\\n\' "$PW" | $0 passwd add bob --db passdb --stdin', 'add bob from a script'),
    handler: async (argv) => {
      const password = await readPassword(io, argv.stdin, true);
      await addUser(argv.db, argv.user, password, storeOptions(argv.scrypt));
      io.stdout(`added user ${argv.user} to ${argv.db}`);
    },
  };

  const set: CommandModule<Common, WithScrypt> = {
    command: 'set <user>',
    describe: "change an existing user's password (re-hashed with the current parameters)",
    builder: (y) =>
      withScrypt(withPasswordInput(withUserArg(y)))
        .example('$0 passwd set alice --db passdb', "change alice's password")
        .example(
          '$0 passwd set alice --db passdb --scrypt ln=16,r=8,p=1',
          're-hash with stronger parameters',
        ),
    handler: async (argv) => {
      const password = await readPassword(io, argv.stdin, true);
      await setPassword(argv.db, argv.user, password, storeOptions(argv.scrypt));
      io.stdout(`changed the password of ${argv.user} in ${argv.db}`);
    },
  };

  const del: CommandModule<Common, WithUser> = {
    command: 'del <user>',
    aliases: ['delete'],
    describe: 'delete a user',
    builder: (y) => withUserArg(y).example('$0 passwd del alice --db /etc/pqvpn/passdb', 'remove alice'),
    handler: async (argv) => {
      await deleteUser(argv.db, argv.user, storeOptions());
      io.stdout(`deleted user ${argv.user} from ${argv.db}`);
    },
  };

  const list: CommandModule<Common, Common & { long: boolean }> = {
    command: 'list',
    describe: 'list the users, one per line',
    builder: (y) =>
      y
        .option('long', {
          alias: 'l',
          type: 'boolean',
          default: false,
          describe: 'also print each entry’s scrypt parameters',
        })
        .example('$0 passwd list --db passdb --long', 'users with their scrypt parameters'),
    handler: async (argv) => {
      const db = await readPassdbFile(argv.db, storeOptions());
      for (const [user, entry] of db.users) {
        io.stdout(argv.long ? `${user}\tscrypt ${formatScryptParams(entry.params)}` : user);
      }
    },
  };

  const check: CommandModule<Common, WithPassword> = {
    command: 'check <user>',
    describe: "check a user's password: exit 0 when it matches, 1 when not",
    builder: (y) =>
      withPasswordInput(withUserArg(y))
        .example('$0 passwd check alice --db passdb', 'exit 0 if the password typed matches')
        .example(
          'printf \'%s\\n\' "$PW" | $0 passwd check alice --db passdb --stdin',
          'the same from a script',
        ),
    handler: async (argv) => {
      const db = await readPassdbFile(argv.db, storeOptions());
      const password = await readPassword(io, argv.stdin, false);
      const result = await verifyPassword(
        db,
        argv.user,
        password,
        deps.scrypt ? { scrypt: deps.scrypt } : {},
      );
      const who = printable(argv.user).slice(1, -1);
      if (result.ok) {
        io.stdout(`${who}: password matches`);
        return;
      }
      io.stdout(
        result.reason === 'unknown-user' ? `${who}: no such user` : `${who}: password does not match`,
      );
      io.exitCode = 1;
    },
  };

  return {
    command: 'passwd',
    describe: 'manage the username/password database',
    builder: (y: Argv) =>
      y
        .option('db', {
          type: 'string',
          demandOption: 'Name the database with --db FILE (the file your server config names in "passdb").',
          requiresArg: true,
          describe: 'the password database file (created 0600 by the first add)',
        })
        .command(add)
        .command(set)
        .command(del)
        .command(list)
        .command(check)
        .demandCommand(1, 'Name an action: add, set, del, list or check.')
        .example('$0 passwd add alice --db /etc/pqvpn/passdb', 'add alice, asking for her password twice')
        .example('printf \'%s\\n\' "$PW" | $0 passwd add bob --db passdb --stdin', 'add bob from a script')
        .example('$0 passwd set alice --db passdb --scrypt ln=16,r=8,p=1', 're-hash with stronger parameters')
        .example('$0 passwd check alice --db passdb', 'exit 0 if the password typed matches')
        .epilogue(
          'Usernames: letters, digits and _ . @ + - (1-64 characters). Entries are scrypt hashes; ' +
            'the format and the defaults are in docs/PASSDB.md.',
        ),
    handler: () => {},
  };
}

function withUserArg<T>(y: Argv<T>): Argv<T & { user: string }> {
  return y.positional('user', { type: 'string', demandOption: true, describe: 'the username' }) as Argv<
    T & { user: string }
  >;
}

function withPasswordInput<T>(y: Argv<T>): Argv<T & { stdin: boolean }> {
  return y.option('stdin', {
    type: 'boolean',
    default: false,
    describe: 'read the password from the first line of standard input instead of the terminal',
  });
}

function withScrypt<T>(y: Argv<T>): Argv<T & { scrypt: string | undefined }> {
  return y.option('scrypt', {
    type: 'string',
    requiresArg: true,
    describe: 'scrypt parameters for this entry, e.g. ln=16,r=8,p=1 (default ln=15,r=8,p=1)',
  });
}

function parseParamsOption(text: string): ScryptParams {
  const params = parseScryptParams(text);
  if (!params) {
    throw new UsageError(
      `--scrypt must look like ln=15,r=8,p=1 (got ${printable(text)})`,
      'PASSDB_BAD_PARAMS',
    );
  }
  return params;
}

/**
 * The password from stdin's first line (trailing CR/LF removed) or from the
 * terminal without echo, asked twice when `confirm`. Validated before returning.
 */
export async function readPassword(io: CommandIO, fromStdin: boolean, confirm: boolean): Promise<string> {
  let password: string;
  if (fromStdin) {
    const text = await io.readStdin();
    const end = text.indexOf('\n');
    password = end < 0 ? text : text.slice(0, end);
    if (password.endsWith('\r')) password = password.slice(0, -1);
  } else {
    const first = await io.promptHidden('Password: ');
    if (first === undefined) {
      throw new UsageError(
        'standard input is not a terminal; pass the password with --stdin',
        'PASSDB_NO_TTY',
      );
    }
    password = first;
    if (confirm) {
      checkPassword(password); // complain about an empty password before asking again
      const second = await io.promptHidden('Repeat password: ');
      if (second !== password) {
        throw new UsageError(
          'the two passwords do not match; nothing was changed',
          'PASSDB_PASSWORD_MISMATCH',
        );
      }
    }
  }
  checkPassword(password);
  return password;
}
