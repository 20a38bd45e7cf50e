// Entry point: start the live stream and mount the app into #app.

import { render } from 'preact';
import './styles.css';
import { App } from './app.jsx';
import { live } from './live.js';
import { wire } from './store.js';

wire(); // listen before the stream opens: its first frame is the snapshot
live.start();
const root = document.getElementById('app');
root.textContent = '';
render(<App />, root);
