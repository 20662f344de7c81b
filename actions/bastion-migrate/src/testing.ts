/** For input tests: a complete, valid set of bastion-migrate inputs. */
import { TEST_HOST_KEY_PIN, TEST_PRIVATE_KEY } from '#ssh/testing';

export const VALID_MIGRATE_INPUTS: Readonly<Record<string, string>> = {
  'bastion-host': 'bastion.example',
  'bastion-user': 'jump',
  'bastion-key': TEST_PRIVATE_KEY,
  'bastion-host-key': TEST_HOST_KEY_PIN,
  'db-host': '10.0.0.5',
  'db-name': 'app',
  'db-user': 'app',
  'db-password': 'secret-pw',
  command: 'python manage.py migrate --noinput',
};
