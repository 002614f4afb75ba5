/** Every operationId in the spec mapped to its handler; the type makes a missing one a compile error. */
import type { OperationHandlers } from '#runtime/context.ts';
import { getHealth } from './health/get-health.ts';
import { createTask } from './tasks/create-task.ts';
import { deleteTask } from './tasks/delete-task.ts';
import { getTask } from './tasks/get-task.ts';
import { listTasks } from './tasks/list-tasks.ts';
import { updateTask } from './tasks/update-task.ts';
import { deleteUser } from './users/delete-user.ts';
import { getCurrentUser } from './users/get-current-user.ts';
import { getUser } from './users/get-user.ts';
import { listUsers } from './users/list-users.ts';
import { registerUser } from './users/register-user.ts';
import { updateUser } from './users/update-user.ts';

export const operationHandlers: OperationHandlers = {
  getHealth,
  registerUser,
  getCurrentUser,
  listUsers,
  getUser,
  updateUser,
  deleteUser,
  listTasks,
  createTask,
  getTask,
  updateTask,
  deleteTask,
};
