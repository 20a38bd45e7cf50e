// Entry point: start the live stream and mount the app into #app.

import { render } from 'preact';
import './styles.css';
import { App } from './app.jsx';
import { live } from './live.js';

live.start();
const root = document.getElementById('app');
root.textContent = '';
render(<App />, root);
