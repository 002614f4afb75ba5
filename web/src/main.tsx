import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { loadAppConfig } from './api/config.ts';
import { App } from './app.tsx';
import { createUserManager, SessionProvider } from './auth/session.tsx';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

loadAppConfig().then(
  (config) => {
    const userManager = createUserManager(config);
    root.render(
      <StrictMode>
        <SessionProvider config={config} userManager={userManager}>
          <App config={config} userManager={userManager} />
        </SessionProvider>
      </StrictMode>,
    );
  },
  (error: unknown) =>
    root.render(
      <main id="main">
        <h1>Taskboard cannot start</h1>
        <p role="alert">
          The app's settings could not be read: {error instanceof Error ? error.message : String(error)}
        </p>
      </main>,
    ),
);
